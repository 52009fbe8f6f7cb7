"""Import every step's tables so that ``Base.metadata`` is complete (for Alembic and the schema test)."""

from gutwise.accounts import models as accounts_models
from gutwise.core import audit
from gutwise.diary import models as diary_models
from gutwise.interop import models as interop_models
from gutwise.labs import models as labs_models
from gutwise.microbiome import models as microbiome_models
from gutwise.outcomes import models as outcomes_models
from gutwise.protocol import models as protocol_models
from gutwise.screening import models as screening_models

__all__ = ["accounts_models", "audit", "diary_models", "interop_models", "labs_models", "microbiome_models",
           "outcomes_models", "protocol_models", "screening_models"]
