"""The expand shared by the families built as a TransformedDistribution of a base
(HalfNormal, LogNormal, Gumbel, ...): the base is expanded, the transforms kept."""
from .transformed_distribution import TransformedDistribution


class TransformedFamily(TransformedDistribution):
    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(type(self), _instance)
        return TransformedDistribution.expand(self, batch_shape, _instance=new)
