{#
    A left join of the customer version in effect when an invoice was issued (dim_customer is type 2: one row per
    version, valid from its first invoice date up to, not including, the next version's): the as-of join both facts
    make, written once.
#}
{% macro join_customer_version_at(customers, invoices) -%}
left join {{ customers }}
    on {{ customers }}.customer_id = {{ invoices }}.customer_id
        and {{ customers }}.valid_from <= {{ invoices }}.invoice_date
        and {{ customers }}.valid_to > {{ invoices }}.invoice_date
{%- endmacro %}
