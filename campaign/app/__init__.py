"""Streamlit glue shared by the pages: the only part of the package that imports Streamlit and draws."""
