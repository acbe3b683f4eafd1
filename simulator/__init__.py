"""Drive the IVR without a phone: a simulated Twilio caller, scenario files and realistic traffic."""
