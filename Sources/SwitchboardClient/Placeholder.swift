// SwitchboardClient: see issue 5.
