"""Loading encoders and task heads, choosing the device, and handing the encoder from phase to phase."""
