-- Every customer has exactly one current version, and its versions never overlap.
with versions as (

    select * from {{ ref('dim_customer') }}

),

current_versions as (

    select
        customer_id,
        count(*) as current_count
    from versions
    where is_current
    group by customer_id

),

overlapping_versions as (

    select earlier.customer_id
    from versions as earlier
    inner join versions as later
        on later.customer_id = earlier.customer_id
            and later.version_number > earlier.version_number
            and later.valid_from < earlier.valid_to
            and later.version_number <> earlier.version_number + 1

)

select customer_id from current_versions where current_count <> 1
union all
select customer_id from overlapping_versions
