"""Open data: marts out to the city's CKAN portal, with their metadata, never with personal data."""
