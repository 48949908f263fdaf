output "landing_bucket_name" {
  description = "Name of the landing bucket."
  value       = aws_s3_bucket.this["landing"].id
}

output "landing_bucket_arn" {
  description = "ARN of the landing bucket."
  value       = aws_s3_bucket.this["landing"].arn
}

output "lake_bucket_name" {
  description = "Name of the lake bucket."
  value       = aws_s3_bucket.this["lake"].id
}

output "lake_bucket_arn" {
  description = "ARN of the lake bucket."
  value       = aws_s3_bucket.this["lake"].arn
}

output "artifacts_bucket_name" {
  description = "Name of the artifacts bucket."
  value       = aws_s3_bucket.this["artifacts"].id
}
