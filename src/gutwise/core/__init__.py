"""What every step shares: settings, database and unit of work, migrations, auth, audit, errors."""
