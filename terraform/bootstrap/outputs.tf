output "state_bucket_name" {
  description = "Name of the state bucket: the `bucket` of backend.hcl."
  value       = aws_s3_bucket.state.id
}

output "state_bucket_arn" {
  description = "ARN of the state bucket."
  value       = aws_s3_bucket.state.arn
}

output "backend_config" {
  description = "A ready backend.hcl for the main stack (no secrets in it)."
  value       = <<-EOT
    bucket       = "${aws_s3_bucket.state.id}"
    key          = "chinook-platform/dev/terraform.tfstate"
    region       = "${var.aws_region}"
    encrypt      = true
    use_lockfile = true
  EOT
}
