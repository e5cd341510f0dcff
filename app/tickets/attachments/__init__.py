"""Files on tickets and comments: sniffed, limited, stored by random names, always downloaded."""
