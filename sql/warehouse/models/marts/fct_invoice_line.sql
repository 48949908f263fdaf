{{
    config(
        materialized='incremental',
        unique_key='invoice_line_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        dist='track_id',
        sort='invoice_date',
    )
}}
{#
    Grain: one invoice line (its latest version). Incremental: a run reads only the lines written after the
    newest line version already here (_line_load_id), or whose invoice was written after the newest invoice
    version already here (_invoice_load_id), then replaces those lines. One watermark per staging table: the
    two are staged independently, so lines may arrive before their invoice (or its newer version) and the
    invoice's load id is then below the lines'. _load_id is the later of the two.
    A full build takes every line as it is, without working out what changed.
    The versions are ranked here, the changed keys inside the window's subquery, not read from an
    int_<entity>__current: PostgreSQL cannot push the filter under a view's or a CTE's window (measured in
    benchmarks/current_versions.py; _intermediate.yml).
#}
with
{% if is_incremental() %}
changed_lines as (

    select invoice_line_id from {{ ref('stg_chinook__invoice_line') }}
    where _load_id > {{ incremental_watermark('_line_load_id') }}
    union
    select line_versions.invoice_line_id
    from {{ ref('stg_chinook__invoice_line') }} as line_versions
    inner join {{ ref('stg_chinook__invoice') }} as invoice_versions
        on invoice_versions.invoice_id = line_versions.invoice_id
    where invoice_versions._load_id > {{ incremental_watermark('_invoice_load_id') }}

),
{% endif %}

lines as (

    {{ latest_version(
        ref('stg_chinook__invoice_line'), 'invoice_line_id',
        where='invoice_line_id in (select invoice_line_id from changed_lines)' if is_incremental() else none,
    ) }}

),

invoices as (

    {{ latest_version(
        ref('stg_chinook__invoice'), 'invoice_id',
        where='invoice_id in (select invoice_id from lines)' if is_incremental() else none,
    ) }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

final as (

    select
        lines.invoice_line_id,
        lines.invoice_id,
        customers.customer_key,
        invoices.customer_id,
        lines.track_id,
        invoices.invoice_date,
        cast(invoices.invoice_date as date) as date_day,
        invoices.billing_country,
        lines.quantity,
        lines.unit_price,
        cast(lines.unit_price * lines.quantity as numeric(12, 2)) as line_amount,
        case when lines._load_id > invoices._load_id then lines._load_id else invoices._load_id end as _load_id,
        lines._load_id as _line_load_id,
        invoices._load_id as _invoice_load_id
    from lines
    inner join invoices on invoices.invoice_id = lines.invoice_id
    {{ join_customer_version_at('customers', 'invoices') }}

)

select * from final
