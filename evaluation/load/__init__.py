"""Load runs: bounded, on 127.0.0.1, against the real stack and a fake Twilio."""
