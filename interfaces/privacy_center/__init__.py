"""The privacy center: pages where a person makes a request under the policy, proves who
they are with a one-time code sent to the address on record, and follows the request."""
