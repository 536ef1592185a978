output "cluster_name" {
  description = "EKS cluster name."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API server endpoint."
  value       = module.eks.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA bundle of the API server."
  value       = module.eks.cluster_certificate_authority_data
}

output "kubeconfig_command" {
  description = "Command that writes a kubeconfig entry for the cluster."
  value       = "aws eks update-kubeconfig --region ${var.region} --name ${module.eks.cluster_name}"
}

output "kubeconfig" {
  description = "A kubeconfig for the cluster (authenticates with `aws eks get-token`, so it holds no secret)."
  value = yamlencode({
    apiVersion      = "v1"
    kind            = "Config"
    current-context = module.eks.cluster_name
    clusters = [{
      name = module.eks.cluster_name
      cluster = {
        server                     = module.eks.cluster_endpoint
        certificate-authority-data = module.eks.cluster_certificate_authority_data
      }
    }]
    contexts = [{
      name = module.eks.cluster_name
      context = {
        cluster = module.eks.cluster_name
        user    = module.eks.cluster_name
      }
    }]
    users = [{
      name = module.eks.cluster_name
      user = {
        exec = {
          apiVersion = "client.authentication.k8s.io/v1beta1"
          command    = "aws"
          args       = ["eks", "get-token", "--region", var.region, "--cluster-name", module.eks.cluster_name]
        }
      }
    }]
  })
}

output "ecr_repository_urls" {
  description = "ECR repository URLs by name (image.registry in the chart is the part before the first slash)."
  value       = { for name, r in aws_ecr_repository.this : name => r.repository_url }
}

output "ecr_registry" {
  description = "ECR registry host for the chart's image.registry."
  value       = "${data.aws_caller_identity.current.account_id}.dkr.ecr.${var.region}.amazonaws.com"
}

output "model_bucket" {
  description = "S3 bucket of the model registry (chart: models.s3.bucket)."
  value       = aws_s3_bucket.models.bucket
}

output "model_reader_role_arn" {
  description = "IRSA role for the pods (chart: serviceAccount.annotations.\"eks.amazonaws.com/role-arn\")."
  value       = aws_iam_role.model_reader.arn
}

output "github_actions_role_arn" {
  description = "Role for aws-actions/configure-aws-credentials (role-to-assume) in the CD and model-promotion workflows; empty without github_repository."
  value       = var.github_repository == "" ? "" : aws_iam_role.github[0].arn
}

output "gpu_node_selector" {
  description = "Node labels of the GPU node group (chart: <component>.gpu.nodeSelector)."
  value       = local.gpu_node_labels
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.vpc.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets the nodes run in."
  value       = module.vpc.private_subnets
}

output "cluster_autoscaler_role_arn" {
  description = "IRSA role of the cluster autoscaler (empty when disabled)."
  value       = var.enable_cluster_autoscaler ? aws_iam_role.cluster_autoscaler[0].arn : ""
}
