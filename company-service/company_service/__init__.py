"""company-service: companies (tenants), their plans, plan history and the plan sweeper."""
