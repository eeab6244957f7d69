"""What the service needs to run: settings, logging, embedded servers, cluster set-up."""
