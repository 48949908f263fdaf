{# Every model goes to the target's schema as is (no "<target>_<custom>" concatenation). #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}
