"""``torch.utils.model_zoo.load_url``: the older name of :func:`ember.hub.load_state_dict_from_url`."""
from ember.hub import load_state_dict_from_url

load_url = load_state_dict_from_url

__all__ = ["load_url"]
