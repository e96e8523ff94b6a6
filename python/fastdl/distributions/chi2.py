"""Chi2(df): Gamma(df / 2, 1 / 2)."""
from ..tensor import Size
from . import constraints
from .gamma import Gamma
from .utils import broadcast_all


class Chi2(Gamma):
    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df_t,) = broadcast_all("Chi2", df)
        self._df_given = df_t
        Gamma.__init__(self, 0.5 * df_t, 0.5 if isinstance(df, (int, float)) else df_t.new_zeros(()) + 0.5,
                       validate_args=validate_args)
        if isinstance(df, (int, float)):
            self._batch_shape = Size()

    def _given_parameters(self):
        return {"df": self.df}

    def expand(self, batch_shape, _instance=None):
        new = Gamma.expand(self, batch_shape, _instance)
        new._df_given = new.concentration * 2
        return new

    @property
    def df(self):
        return self.concentration * 2


