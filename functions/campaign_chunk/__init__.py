"""Campaign preflight Lambdas: judge a Distributed Map batch of recipients; write the summary."""
