"""Daily diary: one entry per patient per day, saved as it is typed; later adherence and schedules."""
