output "instances" {
  description = "Connection details of the instances by role (oltp, olap): never a password."
  value = {
    for role, db in aws_db_instance.this : role => {
      identifier = db.identifier
      arn        = db.arn
      endpoint   = db.endpoint
      address    = db.address
      port       = db.port
      db_name    = db.db_name
      username   = db.username
    }
  }
}

output "master_user_secret_arns" {
  description = "ARNs of the Secrets Manager secrets RDS keeps the master credentials in, by role (oltp, olap)."
  value       = { for role, db in aws_db_instance.this : role => db.master_user_secret[0].secret_arn }
}

output "security_group_id" {
  description = "ID of the databases' security group."
  value       = aws_security_group.this.id
}
