"""Files to plain data and back. Nothing here touches the database session."""
