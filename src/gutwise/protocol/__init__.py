"""The personalised protocol: evidence library, plan building, safety checks, plan history and adherence."""
