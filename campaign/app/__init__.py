"""Streamlit glue shared by the pages: the only part of the package, with campaign.ui, that draws."""
