{{
    config(
        materialized='incremental',
        unique_key='invoice_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        dist='invoice_id',
        sort='invoice_date',
    )
}}
-- depends_on: {{ ref('stg_chinook__invoice_line') }}
{#
    Grain: one invoice (its latest version), with its line count and quantity from fct_invoice_line, so the
    latest version of every line is worked out once. Incremental like fct_invoice_line, with one watermark per
    staging table: a run rebuilds the invoices written after the newest invoice version here (_invoice_load_id),
    and every invoice a line written after the newest line version here (_line_load_id) belongs or belonged to.
    Ranked here, not read from an int_<entity>__current, for the reason in fct_invoice_line.
#}
with
{% if is_incremental() %}
changed_invoices as (

    select invoice_id from {{ ref('stg_chinook__invoice') }}
    where _load_id > {{ incremental_watermark('_invoice_load_id') }}
    union
    select invoice_id from {{ ref('stg_chinook__invoice_line') }}
    where invoice_line_id in (
        select invoice_line_id from {{ ref('stg_chinook__invoice_line') }}
        where _load_id > {{ incremental_watermark('_line_load_id') }}
    )

),
{% endif %}

invoices as (

    {{ latest_version(
        ref('stg_chinook__invoice'), 'invoice_id',
        where='invoice_id in (select invoice_id from changed_invoices)' if is_incremental() else none,
    ) }}

),

lines as (

    select
        invoice_id,
        count(*) as line_count,
        cast(sum(quantity) as {{ dbt.type_bigint() }}) as quantity,
        max(_load_id) as _load_id,
        max(_line_load_id) as _line_load_id
    from {{ ref('fct_invoice_line') }}
    {% if is_incremental() %}
    where invoice_id in (select invoice_id from changed_invoices)
    {% endif %}
    group by invoice_id

),

customers as (

    select * from {{ ref('dim_customer') }}

),

final as (

    select
        invoices.invoice_id,
        customers.customer_key,
        invoices.customer_id,
        invoices.invoice_date,
        cast(invoices.invoice_date as date) as date_day,
        invoices.billing_city,
        invoices.billing_state,
        invoices.billing_country,
        invoices.billing_postal_code,
        coalesce(lines.line_count, 0) as line_count,
        coalesce(lines.quantity, 0) as quantity,
        invoices.total,
        case
            when lines._load_id > invoices._load_id then lines._load_id else invoices._load_id
        end as _load_id,
        lines._line_load_id,
        invoices._load_id as _invoice_load_id
    from invoices
    left join lines on lines.invoice_id = invoices.invoice_id
    {{ join_customer_version_at('customers', 'invoices') }}

)

select * from final
