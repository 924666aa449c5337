{#-
  The users' level over time (SCD type 2): one row per user and level, valid from the snapshot
  that first saw it until the one that saw it change (dbt_valid_to NULL: the current level).
  The users table keeps only each user's latest level, so a user who upgrades from free to paid
  loses the free period there; here it stays. Run `sparkify snapshot` (or `sparkify build`) after
  each load.

  The check strategy compares level with the current version of each user: a changed level
  closes that version and opens a new one at the snapshot's time.
-#}
{% snapshot users_history %}
{{ config(unique_key='user_id', strategy='check', check_cols=['level'], tags=['history']) }}
select user_id, first_name, last_name, gender, level
from {{ ref('users') }}
{% endsnapshot %}
