"""Notice senders: the maildrop for development and SMTP for production (both behind
`mail.sender.NoticeSender`), and the fan-out's batch delivery."""
