"""The needs grid and the submission workflow."""
