"""HTTP adapters of the customers room."""
