output "instance_id" {
  description = "ID of the bastion instance (the SSM Session Manager target)."
  value       = aws_instance.this.id
}

output "security_group_id" {
  description = "ID of the bastion's security group (allowed into the databases)."
  value       = aws_security_group.this.id
}

output "role_name" {
  description = "Name of the bastion's IAM role."
  value       = aws_iam_role.this.name
}

output "public_ip" {
  description = "Public IPv4 address of the bastion (used only for outbound traffic unless SSH is allowed)."
  value       = aws_instance.this.public_ip
}
