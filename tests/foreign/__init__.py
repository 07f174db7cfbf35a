"""Hand-written foreign Data Studio servers, sharing no code with the emulator."""
