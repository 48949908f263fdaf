with countries as (

    select * from {{ ref('mart_country_sales') }}

),

invoices as (

    select * from {{ ref('fct_invoice') }}

),

units_by_country as (

    select
        billing_country,
        cast(sum(quantity) as {{ dbt.type_bigint() }}) as units
    from invoices
    group by billing_country

),

final as (

    select
        countries.billing_country,
        countries.revenue,
        units_by_country.units,
        countries.invoices,
        countries.customers,
        countries.average_invoice_value,
        countries.revenue_share,
        cast(1.0 * units_by_country.units / sum(units_by_country.units) over () as numeric(8, 6)) as units_share,
        row_number() over (order by countries.revenue desc, countries.billing_country asc) as revenue_rank
    from countries
    inner join units_by_country on units_by_country.billing_country = countries.billing_country

)

select * from final
