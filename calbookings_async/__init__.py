"""calbookings_async: an async, typed SDK for the Cal.com API v2 bookings endpoints."""
