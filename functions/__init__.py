"""Lambda handlers and the AWS glue around the engine. Only this package imports boto3."""
