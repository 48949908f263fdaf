{{ config(dist='all') }}
{# A calendar covering every invoice date, built from a digits spine (no hub packages, no generate_series). #}
with digits as (

    select 0 as digit
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
    union all
    select 7
    union all
    select 8
    union all
    select 9

),

numbers as (

    select
        ones.digit + 10 * tens.digit + 100 * hundreds.digit + 1000 * thousands.digit
        + 10000 * ten_thousands.digit as day_number
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands

),

bounds as (

    select
        cast(min(invoice_date) as date) as first_day,
        cast(max(invoice_date) as date) as last_day
    from {{ ref('stg_chinook__invoice') }}

),

days as (

    select cast({{ dbt.dateadd('day', 'numbers.day_number', 'bounds.first_day') }} as date) as date_day
    from numbers
    cross join bounds
    where numbers.day_number <= {{ dbt.datediff('bounds.first_day', 'bounds.last_day', 'day') }}

),

final as (

    select
        date_day,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(quarter from date_day) as integer) as quarter_number,
        cast(extract(month from date_day) as integer) as month_number,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast(extract(dow from date_day) as integer) as day_of_week,
        extract(dow from date_day) in (0, 6) as is_weekend
    from days

)

select * from final
