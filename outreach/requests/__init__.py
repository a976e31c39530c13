"""Visit requests from the public: intake, the coordinator's queue, privacy."""
