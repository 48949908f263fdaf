{# A grain test for models whose grain is their size: one row (a headline), at most N rows (a top N). #}
{% test row_count_between(model, min_rows, max_rows) %}

select count(*) as row_count
from {{ model }}
having count(*) < {{ min_rows }} or count(*) > {{ max_rows }}

{% endtest %}
