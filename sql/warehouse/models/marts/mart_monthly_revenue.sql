with lines as (

    select * from {{ ref('fct_invoice_line') }}

),

monthly as (

    select
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date) as month_start,
        count(distinct invoice_id) as invoices,
        count(*) as lines,
        cast(sum(quantity) as {{ dbt.type_bigint() }}) as quantity,
        sum(line_amount) as revenue,
        count(distinct customer_id) as customers
    from lines
    group by 1

),

final as (

    select
        month_start,
        invoices,
        lines,
        quantity,
        revenue,
        customers,
        revenue - lag(revenue) over (order by month_start) as revenue_change
    from monthly

)

select * from final
