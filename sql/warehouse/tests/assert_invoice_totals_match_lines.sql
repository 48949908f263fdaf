-- Each invoice's total equals the sum of its line amounts.
-- An asset check of fct_invoice in Dagster (it reads several models; dagster-dbt attaches it by this ref).
{{ config(meta={'dagster': {'ref': {'name': 'fct_invoice'}}}) }}
with lines as (

    select
        invoice_id,
        sum(line_amount) as lines_total
    from {{ ref('fct_invoice_line') }}
    group by invoice_id

)

select invoices.invoice_id
from {{ ref('fct_invoice') }} as invoices
inner join lines on lines.invoice_id = invoices.invoice_id
where invoices.total <> lines.lines_total
