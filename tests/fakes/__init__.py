"""Local fake servers that speak real provider wire protocols to the real client libraries."""
