-- Each invoice's total equals the sum of its line amounts: the invoices in data_issues under this rule.
-- A row-confined problem, so a warning (dbt_project.yml, `data_tests`): the build goes on, the check (on
-- data_issues in Dagster, non-blocking) fails visibly and names the invoices.
select invoice_id
from {{ ref('data_issues') }}
where issue = 'total_differs_from_lines'
