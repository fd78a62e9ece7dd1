"""Twilio's side of the SMS and WhatsApp channels: webhooks, signatures, the REST client."""
