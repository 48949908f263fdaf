{#
    The body of a CTE: revenue and quantity per track over a relation of invoice lines (fct_invoice_line's columns),
    which the artist and media-type rollups sum up per track's attribute instead of joining every line to dim_track.
#}
{% macro sales_by_track(lines) -%}
select
    track_id,
    sum(line_amount) as revenue,
    sum(quantity) as quantity
from {{ lines }}
group by track_id
{%- endmacro %}
