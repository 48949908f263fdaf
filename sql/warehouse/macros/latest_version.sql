{# Staging keeps every version of a row; this keeps the latest (highest _load_id) per key. #}
{% macro latest_version(relation, key, where=none) -%}
select *
from (
    select
        *,
        row_number() over (partition by {{ key }} order by _load_id desc) as version_rank
    from {{ relation }}
    {% if where %}where {{ where }}{% endif %}
) as versions
where version_rank = 1
{%- endmacro %}
