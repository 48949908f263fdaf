{#
    One row: how many invoices do not reconcile with their lines (data_issues), and by how much their totals
    exceed their lines. The KPIs include these invoices: revenue from invoice totals (kpi_headline, country,
    customers) minus unreconciled_amount is the revenue of the lines (monthly, genre, media type, artist).
#}
with issues as (

    select * from {{ ref('data_issues') }}
    where issue = 'total_differs_from_lines'

),

final as (

    select
        count(distinct invoice_id) as unreconciled_invoices,
        coalesce(sum(difference), 0) as unreconciled_amount
    from issues

)

select * from final
