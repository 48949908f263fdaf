{{ config(dist='all') }}
{#
    SCD type 2: one row per version of a customer. A new version starts when an OLTP load changed any
    attribute; the first version is valid from 1900-01-01 so that history older than the platform resolves.
#}
with customers as (

    select * from {{ ref('stg_chinook__customer') }}

),

hashed as (

    select
        *,
        {{ dbt.hash(dbt.concat([
            "coalesce(first_name, '')", "'|'", "coalesce(last_name, '')", "'|'", "coalesce(company, '')", "'|'",
            "coalesce(address, '')", "'|'", "coalesce(city, '')", "'|'", "coalesce(state, '')", "'|'",
            "coalesce(country, '')", "'|'", "coalesce(postal_code, '')", "'|'", "coalesce(phone, '')", "'|'",
            "coalesce(email, '')",
        ])) }} as attribute_hash
    from customers

),

compared as (

    select
        *,
        lag(attribute_hash) over (partition by customer_id order by _load_id) as previous_hash
    from hashed

),

changes as (

    select * from compared
    where previous_hash is null or previous_hash <> attribute_hash

),

versions as (

    select
        *,
        row_number() over (partition by customer_id order by _load_id) as version_number,
        lead(_loaded_at) over (partition by customer_id order by _load_id) as next_valid_from
    from changes

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            "cast(customer_id as " ~ dbt.type_string() ~ ")", "'-'",
            "cast(version_number as " ~ dbt.type_string() ~ ")",
        ])) }} as customer_key,
        customer_id,
        first_name,
        last_name,
        company,
        address,
        city,
        state,
        country,
        postal_code,
        phone,
        email,
        version_number,
        case
            when version_number = 1 then cast('1900-01-01 00:00:00' as timestamp)
            else _loaded_at
        end as valid_from,
        coalesce(next_valid_from, cast('9999-12-31 00:00:00' as timestamp)) as valid_to,
        next_valid_from is null as is_current,
        _load_id
    from versions

)

select * from final
