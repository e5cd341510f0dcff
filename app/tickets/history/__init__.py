"""The history import: another helpdesk's tickets from a JSON Lines file, replayed through the tickets
room's own steps."""
