"""``weights.meta["categories"]``: the label names torchvision's weights were trained on, in class-index order,
as the classification examples use them (``weights.meta["categories"][class_id]``)."""
import ember.vision.models as models
from ember.vision.models import segmentation
from ember.vision.models._categories import categories


def test_the_lists_have_their_datasets_sizes_and_known_indices():
    imagenet = categories("imagenet")
    assert len(imagenet) == 1000 and len(set(imagenet)) == 1000     # torchvision names the two cranes apart
    assert (imagenet[0], imagenet[1], imagenet[207], imagenet[281], imagenet[999]) == \
        ("tench", "goldfish", "golden retriever", "tabby", "toilet tissue")
    assert (imagenet[134], imagenet[517]) == ("crane bird", "crane")
    voc, coco = categories("voc"), categories("coco")
    assert len(voc) == 21 and voc[0] == "__background__" and voc[15] == "person"
    assert len(coco) == 91 and coco[1] == "person" and coco.count("N/A") == 10
    assert len(categories("kinetics400")) == 400


def test_every_weights_entry_names_its_labels():
    for name in models.list_models():
        enum = models.get_model_weights(name)
        for entry in enum:
            labels = entry.meta.get("categories")
            if entry.name.startswith("IMAGENET1K"):
                assert labels == categories("imagenet"), (name, entry)
            elif entry.name.startswith("COCO_WITH_VOC_LABELS"):
                assert labels == categories("voc"), (name, entry)
    assert segmentation.FCN_ResNet50_Weights.DEFAULT.meta["categories"][15] == "person"


def test_the_classification_example_reads_a_label_by_index():
    weights = models.ResNet18_Weights.DEFAULT
    scores = [0.0] * 1000
    scores[207] = 9.0
    class_id = max(range(1000), key=scores.__getitem__)
    assert f"{weights.meta['categories'][class_id]}: {100 * 0.5:.1f}%" == "golden retriever: 50.0%"
