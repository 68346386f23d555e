"""torchvision's checkpoints for the ConvNeXt, ShuffleNetV2, RegNet, GoogLeNet, Inception v3, MNASNet,
Swin, EfficientNet (B0-B7 and V2), MaxViT, ViT, DenseNet-161/169/201 and segmentation weights
entries, in the form of ``_api._FILES``:
``(enum, member): (file, resize_size, {preprocessing and meta})``. The file names carry the
SHA-256 prefix the download is checked against; ``meta`` is torchvision's without the category
names, recipe links and docs (recorded from torchvision 0.29.1)."""

FILES = {
    ("ConvNeXt_Tiny_Weights", "IMAGENET1K_V1"): ("convnext_tiny-983f1562.pth", 236, {
        "meta": {"min_size": (32, 32), "num_params": 28589128, "_ops": 4.456, "_file_size": 109.119,
                 "_metrics": {"ImageNet-1K": {"acc@1": 82.52, "acc@5": 96.146}}}}),
    ("ConvNeXt_Small_Weights", "IMAGENET1K_V1"): ("convnext_small-0c510722.pth", 230, {
        "meta": {"min_size": (32, 32), "num_params": 50223688, "_ops": 8.684, "_file_size": 191.703,
                 "_metrics": {"ImageNet-1K": {"acc@1": 83.616, "acc@5": 96.65}}}}),
    ("ConvNeXt_Base_Weights", "IMAGENET1K_V1"): ("convnext_base-6075fbad.pth", 232, {
        "meta": {"min_size": (32, 32), "num_params": 88591464, "_ops": 15.355, "_file_size": 338.064,
                 "_metrics": {"ImageNet-1K": {"acc@1": 84.062, "acc@5": 96.87}}}}),
    ("ConvNeXt_Large_Weights", "IMAGENET1K_V1"): ("convnext_large-ea097f82.pth", 232, {
        "meta": {"min_size": (32, 32), "num_params": 197767336, "_ops": 34.361, "_file_size": 754.537,
                 "_metrics": {"ImageNet-1K": {"acc@1": 84.414, "acc@5": 96.976}}}}),
    ("ShuffleNet_V2_X0_5_Weights", "IMAGENET1K_V1"): ("shufflenetv2_x0.5-f707e7126e.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 1366792, "_ops": 0.04, "_file_size": 5.282,
                 "_metrics": {"ImageNet-1K": {"acc@1": 60.552, "acc@5": 81.746}}}}),
    ("ShuffleNet_V2_X1_0_Weights", "IMAGENET1K_V1"): ("shufflenetv2_x1-5666bf0f80.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 2278604, "_ops": 0.145, "_file_size": 8.791,
                 "_metrics": {"ImageNet-1K": {"acc@1": 69.362, "acc@5": 88.316}}}}),
    ("ShuffleNet_V2_X1_5_Weights", "IMAGENET1K_V1"): ("shufflenetv2_x1_5-3c479a10.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 3503624, "_ops": 0.296, "_file_size": 13.557,
                 "_metrics": {"ImageNet-1K": {"acc@1": 72.996, "acc@5": 91.086}}}}),
    ("ShuffleNet_V2_X2_0_Weights", "IMAGENET1K_V1"): ("shufflenetv2_x2_0-8be3c8ee.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 7393996, "_ops": 0.583, "_file_size": 28.433,
                 "_metrics": {"ImageNet-1K": {"acc@1": 76.23, "acc@5": 93.006}}}}),
    ("GoogLeNet_Weights", "IMAGENET1K_V1"): ("googlenet-1378be20.pth", 256, {
        "meta": {"num_params": 6624904, "min_size": (15, 15), "_ops": 1.498, "_file_size": 49.731,
                 "_metrics": {"ImageNet-1K": {"acc@1": 69.778, "acc@5": 89.53}}}}),
    ("Inception_V3_Weights", "IMAGENET1K_V1"): ("inception_v3_google-0cc3c7bd.pth", 342, {
        "crop_size": 299,
        "meta": {"num_params": 27161264, "min_size": (75, 75), "_ops": 5.713, "_file_size": 103.903,
                 "_metrics": {"ImageNet-1K": {"acc@1": 77.294, "acc@5": 93.45}}}}),
    ("MNASNet0_5_Weights", "IMAGENET1K_V1"): ("mnasnet0.5_top1_67.823-3ffadce67e.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 2218512, "_ops": 0.104, "_file_size": 8.591,
                 "_metrics": {"ImageNet-1K": {"acc@1": 67.734, "acc@5": 87.49}}}}),
    ("MNASNet0_75_Weights", "IMAGENET1K_V1"): ("mnasnet0_75-7090bc5f.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 3170208, "_ops": 0.215, "_file_size": 12.303,
                 "_metrics": {"ImageNet-1K": {"acc@1": 71.18, "acc@5": 90.496}}}}),
    ("MNASNet1_0_Weights", "IMAGENET1K_V1"): ("mnasnet1.0_top1_73.512-f206786ef8.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 4383312, "_ops": 0.314, "_file_size": 16.915,
                 "_metrics": {"ImageNet-1K": {"acc@1": 73.456, "acc@5": 91.51}}}}),
    ("MNASNet1_3_Weights", "IMAGENET1K_V1"): ("mnasnet1_3-a4c69d6f.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 6282256, "_ops": 0.526, "_file_size": 24.246,
                 "_metrics": {"ImageNet-1K": {"acc@1": 76.506, "acc@5": 93.522}}}}),
    ("Swin_T_Weights", "IMAGENET1K_V1"): ("swin_t-704ceda3.pth", 232, {
        "interpolation": "bicubic",
        "meta": {"num_params": 28288354, "min_size": (224, 224), "_ops": 4.491, "_file_size": 108.19,
                 "_metrics": {"ImageNet-1K": {"acc@1": 81.474, "acc@5": 95.776}}}}),
    ("Swin_S_Weights", "IMAGENET1K_V1"): ("swin_s-5e29d889.pth", 246, {
        "interpolation": "bicubic",
        "meta": {"num_params": 49606258, "min_size": (224, 224), "_ops": 8.741, "_file_size": 189.786,
                 "_metrics": {"ImageNet-1K": {"acc@1": 83.196, "acc@5": 96.36}}}}),
    ("Swin_B_Weights", "IMAGENET1K_V1"): ("swin_b-68c6b09e.pth", 238, {
        "interpolation": "bicubic",
        "meta": {"num_params": 87768224, "min_size": (224, 224), "_ops": 15.431, "_file_size": 335.364,
                 "_metrics": {"ImageNet-1K": {"acc@1": 83.582, "acc@5": 96.64}}}}),
    ("Swin_V2_T_Weights", "IMAGENET1K_V1"): ("swin_v2_t-b137f0e2.pth", 260, {
        "crop_size": 256, "interpolation": "bicubic",
        "meta": {"num_params": 28351570, "min_size": (256, 256), "_ops": 5.94, "_file_size": 108.626,
                 "_metrics": {"ImageNet-1K": {"acc@1": 82.072, "acc@5": 96.132}}}}),
    ("Swin_V2_S_Weights", "IMAGENET1K_V1"): ("swin_v2_s-637d8ceb.pth", 260, {
        "crop_size": 256, "interpolation": "bicubic",
        "meta": {"num_params": 49737442, "min_size": (256, 256), "_ops": 11.546, "_file_size": 190.675,
                 "_metrics": {"ImageNet-1K": {"acc@1": 83.712, "acc@5": 96.816}}}}),
    ("Swin_V2_B_Weights", "IMAGENET1K_V1"): ("swin_v2_b-781e5279.pth", 272, {
        "crop_size": 256, "interpolation": "bicubic",
        "meta": {"num_params": 87930848, "min_size": (256, 256), "_ops": 20.325, "_file_size": 336.372,
                 "_metrics": {"ImageNet-1K": {"acc@1": 84.112, "acc@5": 96.864}}}}),
    ("EfficientNet_V2_S_Weights", "IMAGENET1K_V1"): ("efficientnet_v2_s-dd5fe13b.pth", 384, {
        "crop_size": 384,
        "meta": {"min_size": (33, 33), "num_params": 21458488, "_ops": 8.366, "_file_size": 82.704,
                 "_metrics": {"ImageNet-1K": {"acc@1": 84.228, "acc@5": 96.878}}}}),
    ("EfficientNet_V2_M_Weights", "IMAGENET1K_V1"): ("efficientnet_v2_m-dc08266a.pth", 480, {
        "crop_size": 480,
        "meta": {"min_size": (33, 33), "num_params": 54139356, "_ops": 24.582, "_file_size": 208.01,
                 "_metrics": {"ImageNet-1K": {"acc@1": 85.112, "acc@5": 97.156}}}}),
    ("EfficientNet_V2_L_Weights", "IMAGENET1K_V1"): ("efficientnet_v2_l-59c71312.pth", 480, {
        "crop_size": 480, "interpolation": "bicubic", "mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5),
        "meta": {"min_size": (33, 33), "num_params": 118515272, "_ops": 56.08, "_file_size": 454.573,
                 "_metrics": {"ImageNet-1K": {"acc@1": 85.808, "acc@5": 97.788}}}}),
    ("MaxVit_T_Weights", "IMAGENET1K_V1"): ("maxvit_t-bc5ab103.pth", 224, {
        "interpolation": "bicubic",
        "meta": {"num_params": 30919624, "min_size": (224, 224), "_ops": 5.558, "_file_size": 118.769,
                 "_metrics": {"ImageNet-1K": {"acc@1": 83.7, "acc@5": 96.722}}}}),
    ("RegNet_X_16GF_Weights", "IMAGENET1K_V1"): ("regnet_x_16gf-2007eb11.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 54278536, "_ops": 15.941, "_file_size": 207.627,
                 "_metrics": {"ImageNet-1K": {"acc@1": 80.058, "acc@5": 94.944}}}}),
    ("RegNet_X_16GF_Weights", "IMAGENET1K_V2"): ("regnet_x_16gf-ba3796d7.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 54278536, "_ops": 15.941, "_file_size": 207.627,
                 "_metrics": {"ImageNet-1K": {"acc@1": 82.716, "acc@5": 96.196}}}}),
    ("RegNet_X_1_6GF_Weights", "IMAGENET1K_V1"): ("regnet_x_1_6gf-e3633e7f.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 9190136, "_ops": 1.603, "_file_size": 35.339,
                 "_metrics": {"ImageNet-1K": {"acc@1": 77.04, "acc@5": 93.44}}}}),
    ("RegNet_X_1_6GF_Weights", "IMAGENET1K_V2"): ("regnet_x_1_6gf-a12f2b72.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 9190136, "_ops": 1.603, "_file_size": 35.339,
                 "_metrics": {"ImageNet-1K": {"acc@1": 79.668, "acc@5": 94.922}}}}),
    ("RegNet_X_32GF_Weights", "IMAGENET1K_V1"): ("regnet_x_32gf-9d47f8d0.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 107811560, "_ops": 31.736, "_file_size": 412.039,
                 "_metrics": {"ImageNet-1K": {"acc@1": 80.622, "acc@5": 95.248}}}}),
    ("RegNet_X_32GF_Weights", "IMAGENET1K_V2"): ("regnet_x_32gf-6eb8fdc6.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 107811560, "_ops": 31.736, "_file_size": 412.039,
                 "_metrics": {"ImageNet-1K": {"acc@1": 83.014, "acc@5": 96.288}}}}),
    ("RegNet_X_3_2GF_Weights", "IMAGENET1K_V1"): ("regnet_x_3_2gf-f342aeae.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 15296552, "_ops": 3.177, "_file_size": 58.756,
                 "_metrics": {"ImageNet-1K": {"acc@1": 78.364, "acc@5": 93.992}}}}),
    ("RegNet_X_3_2GF_Weights", "IMAGENET1K_V2"): ("regnet_x_3_2gf-7071aa85.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 15296552, "_ops": 3.177, "_file_size": 58.756,
                 "_metrics": {"ImageNet-1K": {"acc@1": 81.196, "acc@5": 95.43}}}}),
    ("RegNet_X_400MF_Weights", "IMAGENET1K_V1"): ("regnet_x_400mf-adf1edd5.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 5495976, "_ops": 0.414, "_file_size": 21.258,
                 "_metrics": {"ImageNet-1K": {"acc@1": 72.834, "acc@5": 90.95}}}}),
    ("RegNet_X_400MF_Weights", "IMAGENET1K_V2"): ("regnet_x_400mf-62229a5f.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 5495976, "_ops": 0.414, "_file_size": 21.257,
                 "_metrics": {"ImageNet-1K": {"acc@1": 74.864, "acc@5": 92.322}}}}),
    ("RegNet_X_800MF_Weights", "IMAGENET1K_V1"): ("regnet_x_800mf-ad17e45c.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 7259656, "_ops": 0.8, "_file_size": 27.945,
                 "_metrics": {"ImageNet-1K": {"acc@1": 75.212, "acc@5": 92.348}}}}),
    ("RegNet_X_800MF_Weights", "IMAGENET1K_V2"): ("regnet_x_800mf-94a99ebd.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 7259656, "_ops": 0.8, "_file_size": 27.945,
                 "_metrics": {"ImageNet-1K": {"acc@1": 77.522, "acc@5": 93.826}}}}),
    ("RegNet_X_8GF_Weights", "IMAGENET1K_V1"): ("regnet_x_8gf-03ceed89.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 39572648, "_ops": 7.995, "_file_size": 151.456,
                 "_metrics": {"ImageNet-1K": {"acc@1": 79.344, "acc@5": 94.686}}}}),
    ("RegNet_X_8GF_Weights", "IMAGENET1K_V2"): ("regnet_x_8gf-2b70d774.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 39572648, "_ops": 7.995, "_file_size": 151.456,
                 "_metrics": {"ImageNet-1K": {"acc@1": 81.682, "acc@5": 95.678}}}}),
    ("RegNet_Y_128GF_Weights", "IMAGENET1K_SWAG_E2E_V1"): ("regnet_y_128gf_swag-c8ce3e52.pth", 384, {
        "crop_size": 384, "interpolation": "bicubic",
        "meta": {"license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
                 "min_size": (1, 1), "num_params": 644812894, "_ops": 374.57, "_file_size": 2461.564,
                 "_metrics": {"ImageNet-1K": {"acc@1": 88.228, "acc@5": 98.682}}}}),
    ("RegNet_Y_128GF_Weights", "IMAGENET1K_SWAG_LINEAR_V1"): ("regnet_y_128gf_lc_swag-cbe8ce12.pth", 224, {
        "interpolation": "bicubic",
        "meta": {"license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
                 "min_size": (1, 1), "num_params": 644812894, "_ops": 127.518, "_file_size": 2461.564,
                 "_metrics": {"ImageNet-1K": {"acc@1": 86.068, "acc@5": 97.844}}}}),
    ("RegNet_Y_16GF_Weights", "IMAGENET1K_V1"): ("regnet_y_16gf-9e6ed7dd.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 83590140, "_ops": 15.912, "_file_size": 319.49,
                 "_metrics": {"ImageNet-1K": {"acc@1": 80.424, "acc@5": 95.24}}}}),
    ("RegNet_Y_16GF_Weights", "IMAGENET1K_V2"): ("regnet_y_16gf-3e4a00f9.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 83590140, "_ops": 15.912, "_file_size": 319.49,
                 "_metrics": {"ImageNet-1K": {"acc@1": 82.886, "acc@5": 96.328}}}}),
    ("RegNet_Y_16GF_Weights", "IMAGENET1K_SWAG_E2E_V1"): ("regnet_y_16gf_swag-43afe44d.pth", 384, {
        "crop_size": 384, "interpolation": "bicubic",
        "meta": {"license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
                 "min_size": (1, 1), "num_params": 83590140, "_ops": 46.735, "_file_size": 319.49,
                 "_metrics": {"ImageNet-1K": {"acc@1": 86.012, "acc@5": 98.054}}}}),
    ("RegNet_Y_16GF_Weights", "IMAGENET1K_SWAG_LINEAR_V1"): ("regnet_y_16gf_lc_swag-f3ec0043.pth", 224, {
        "interpolation": "bicubic",
        "meta": {"license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
                 "min_size": (1, 1), "num_params": 83590140, "_ops": 15.912, "_file_size": 319.49,
                 "_metrics": {"ImageNet-1K": {"acc@1": 83.976, "acc@5": 97.244}}}}),
    ("RegNet_Y_1_6GF_Weights", "IMAGENET1K_V1"): ("regnet_y_1_6gf-b11a554e.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 11202430, "_ops": 1.612, "_file_size": 43.152,
                 "_metrics": {"ImageNet-1K": {"acc@1": 77.95, "acc@5": 93.966}}}}),
    ("RegNet_Y_1_6GF_Weights", "IMAGENET1K_V2"): ("regnet_y_1_6gf-0d7bc02a.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 11202430, "_ops": 1.612, "_file_size": 43.152,
                 "_metrics": {"ImageNet-1K": {"acc@1": 80.876, "acc@5": 95.444}}}}),
    ("RegNet_Y_32GF_Weights", "IMAGENET1K_V1"): ("regnet_y_32gf-4dee3f7a.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 145046770, "_ops": 32.28, "_file_size": 554.076,
                 "_metrics": {"ImageNet-1K": {"acc@1": 80.878, "acc@5": 95.34}}}}),
    ("RegNet_Y_32GF_Weights", "IMAGENET1K_V2"): ("regnet_y_32gf-8db6d4b5.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 145046770, "_ops": 32.28, "_file_size": 554.076,
                 "_metrics": {"ImageNet-1K": {"acc@1": 83.368, "acc@5": 96.498}}}}),
    ("RegNet_Y_32GF_Weights", "IMAGENET1K_SWAG_E2E_V1"): ("regnet_y_32gf_swag-04fdfa75.pth", 384, {
        "crop_size": 384, "interpolation": "bicubic",
        "meta": {"license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
                 "min_size": (1, 1), "num_params": 145046770, "_ops": 94.826, "_file_size": 554.076,
                 "_metrics": {"ImageNet-1K": {"acc@1": 86.838, "acc@5": 98.362}}}}),
    ("RegNet_Y_32GF_Weights", "IMAGENET1K_SWAG_LINEAR_V1"): ("regnet_y_32gf_lc_swag-e1583746.pth", 224, {
        "interpolation": "bicubic",
        "meta": {"license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
                 "min_size": (1, 1), "num_params": 145046770, "_ops": 32.28, "_file_size": 554.076,
                 "_metrics": {"ImageNet-1K": {"acc@1": 84.622, "acc@5": 97.48}}}}),
    ("RegNet_Y_3_2GF_Weights", "IMAGENET1K_V1"): ("regnet_y_3_2gf-b5a9779c.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 19436338, "_ops": 3.176, "_file_size": 74.567,
                 "_metrics": {"ImageNet-1K": {"acc@1": 78.948, "acc@5": 94.576}}}}),
    ("RegNet_Y_3_2GF_Weights", "IMAGENET1K_V2"): ("regnet_y_3_2gf-9180c971.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 19436338, "_ops": 3.176, "_file_size": 74.567,
                 "_metrics": {"ImageNet-1K": {"acc@1": 81.982, "acc@5": 95.972}}}}),
    ("RegNet_Y_400MF_Weights", "IMAGENET1K_V1"): ("regnet_y_400mf-c65dace8.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 4344144, "_ops": 0.402, "_file_size": 16.806,
                 "_metrics": {"ImageNet-1K": {"acc@1": 74.046, "acc@5": 91.716}}}}),
    ("RegNet_Y_400MF_Weights", "IMAGENET1K_V2"): ("regnet_y_400mf-e6988f5f.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 4344144, "_ops": 0.402, "_file_size": 16.806,
                 "_metrics": {"ImageNet-1K": {"acc@1": 75.804, "acc@5": 92.742}}}}),
    ("RegNet_Y_800MF_Weights", "IMAGENET1K_V1"): ("regnet_y_800mf-1b27b58c.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 6432512, "_ops": 0.834, "_file_size": 24.774,
                 "_metrics": {"ImageNet-1K": {"acc@1": 76.42, "acc@5": 93.136}}}}),
    ("RegNet_Y_800MF_Weights", "IMAGENET1K_V2"): ("regnet_y_800mf-58fc7688.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 6432512, "_ops": 0.834, "_file_size": 24.774,
                 "_metrics": {"ImageNet-1K": {"acc@1": 78.828, "acc@5": 94.502}}}}),
    ("RegNet_Y_8GF_Weights", "IMAGENET1K_V1"): ("regnet_y_8gf-d0d0e4a8.pth", 256, {
        "meta": {"min_size": (1, 1), "num_params": 39381472, "_ops": 8.473, "_file_size": 150.701,
                 "_metrics": {"ImageNet-1K": {"acc@1": 80.032, "acc@5": 95.048}}}}),
    ("RegNet_Y_8GF_Weights", "IMAGENET1K_V2"): ("regnet_y_8gf-dc2b1b54.pth", 232, {
        "meta": {"min_size": (1, 1), "num_params": 39381472, "_ops": 8.473, "_file_size": 150.701,
                 "_metrics": {"ImageNet-1K": {"acc@1": 82.828, "acc@5": 96.33}}}}),
    ("FCN_ResNet50_Weights", "COCO_WITH_VOC_LABELS_V1"): ("fcn_resnet50_coco-1167a1af.pth", 520, {
        "crop_size": None,
        "meta": {"min_size": (1, 1), "num_params": 35322218, "_ops": 152.717, "_file_size": 135.009,
                 "_metrics": {"COCO-val2017-VOC-labels": {"miou": 60.5, "pixel_acc": 91.4}}}}),
    ("FCN_ResNet101_Weights", "COCO_WITH_VOC_LABELS_V1"): ("fcn_resnet101_coco-7ecb50ca.pth", 520, {
        "crop_size": None,
        "meta": {"min_size": (1, 1), "num_params": 54314346, "_ops": 232.738, "_file_size": 207.711,
                 "_metrics": {"COCO-val2017-VOC-labels": {"miou": 63.7, "pixel_acc": 91.9}}}}),
    ("DeepLabV3_ResNet50_Weights", "COCO_WITH_VOC_LABELS_V1"): ("deeplabv3_resnet50_coco-cd0a2569.pth", 520, {
        "crop_size": None,
        "meta": {"min_size": (1, 1), "num_params": 42004074, "_ops": 178.722, "_file_size": 160.515,
                 "_metrics": {"COCO-val2017-VOC-labels": {"miou": 66.4, "pixel_acc": 92.4}}}}),
    ("DeepLabV3_ResNet101_Weights", "COCO_WITH_VOC_LABELS_V1"): ("deeplabv3_resnet101_coco-586e9e4e.pth", 520, {
        "crop_size": None,
        "meta": {"min_size": (1, 1), "num_params": 60996202, "_ops": 258.743, "_file_size": 233.217,
                 "_metrics": {"COCO-val2017-VOC-labels": {"miou": 67.4, "pixel_acc": 92.4}}}}),
    ("DeepLabV3_MobileNet_V3_Large_Weights", "COCO_WITH_VOC_LABELS_V1"): ("deeplabv3_mobilenet_v3_large-fc3c493d.pth", 520, {
        "crop_size": None,
        "meta": {"min_size": (1, 1), "num_params": 11029328, "_ops": 10.452, "_file_size": 42.301,
                 "_metrics": {"COCO-val2017-VOC-labels": {"miou": 60.3, "pixel_acc": 91.2}}}}),
    ("LRASPP_MobileNet_V3_Large_Weights", "COCO_WITH_VOC_LABELS_V1"): ("lraspp_mobilenet_v3_large-d234d4ea.pth", 520, {
        "crop_size": None,
        "meta": {"num_params": 3221538, "min_size": (1, 1), "_ops": 2.086, "_file_size": 12.49,
                 "_metrics": {"COCO-val2017-VOC-labels": {"miou": 57.9, "pixel_acc": 91.2}}}}),
    # entries of the older architectures that ember listed without a URL
    ("DenseNet161_Weights", "IMAGENET1K_V1"): ("densenet161-8d451a50.pth", 256, {
        "meta": {"min_size": (29, 29), "num_params": 28681000, "_ops": 7.728, "_file_size": 110.369,
                 "_metrics": {"ImageNet-1K": {"acc@1": 77.138, "acc@5": 93.56}}}}),
    ("DenseNet169_Weights", "IMAGENET1K_V1"): ("densenet169-b2777c0a.pth", 256, {
        "meta": {"min_size": (29, 29), "num_params": 14149480, "_ops": 3.36, "_file_size": 54.708,
                 "_metrics": {"ImageNet-1K": {"acc@1": 75.6, "acc@5": 92.806}}}}),
    ("DenseNet201_Weights", "IMAGENET1K_V1"): ("densenet201-c1103571.pth", 256, {
        "meta": {"min_size": (29, 29), "num_params": 20013928, "_ops": 4.291, "_file_size": 77.373,
                 "_metrics": {"ImageNet-1K": {"acc@1": 76.896, "acc@5": 93.37}}}}),
    ("VGG16_Weights", "IMAGENET1K_FEATURES"): ("vgg16_features-amdegroot-88682ab5.pth", 256, {
        "mean": (0.48235, 0.45882, 0.40784),
        "std": (0.00392156862745098, 0.00392156862745098, 0.00392156862745098),
        "meta": {"min_size": (32, 32), "num_params": 138357544, "_ops": 15.47, "_file_size": 527.802,
                 "_metrics": {"ImageNet-1K": {"acc@1": float("nan"), "acc@5": float("nan")}}}}),
    ("EfficientNet_B0_Weights", "IMAGENET1K_V1"): ("efficientnet_b0_rwightman-7f5810bc.pth", 256, {
        "interpolation": "bicubic",
        "meta": {"min_size": (1, 1), "num_params": 5288548, "_ops": 0.386, "_file_size": 20.451,
                 "_metrics": {"ImageNet-1K": {"acc@1": 77.692, "acc@5": 93.532}}}}),
    ("EfficientNet_B1_Weights", "IMAGENET1K_V1"): ("efficientnet_b1_rwightman-bac287d4.pth", 256, {
        "crop_size": 240, "interpolation": "bicubic",
        "meta": {"min_size": (1, 1), "num_params": 7794184, "_ops": 0.687, "_file_size": 30.134,
                 "_metrics": {"ImageNet-1K": {"acc@1": 78.642, "acc@5": 94.186}}}}),
    ("EfficientNet_B1_Weights", "IMAGENET1K_V2"): ("efficientnet_b1-c27df63c.pth", 255, {
        "crop_size": 240,
        "meta": {"min_size": (1, 1), "num_params": 7794184, "_ops": 0.687, "_file_size": 30.136,
                 "_metrics": {"ImageNet-1K": {"acc@1": 79.838, "acc@5": 94.934}}}}),
    ("EfficientNet_B2_Weights", "IMAGENET1K_V1"): ("efficientnet_b2_rwightman-c35c1473.pth", 288, {
        "crop_size": 288, "interpolation": "bicubic",
        "meta": {"min_size": (1, 1), "num_params": 9109994, "_ops": 1.088, "_file_size": 35.174,
                 "_metrics": {"ImageNet-1K": {"acc@1": 80.608, "acc@5": 95.31}}}}),
    ("EfficientNet_B3_Weights", "IMAGENET1K_V1"): ("efficientnet_b3_rwightman-b3899882.pth", 320, {
        "crop_size": 300, "interpolation": "bicubic",
        "meta": {"min_size": (1, 1), "num_params": 12233232, "_ops": 1.827, "_file_size": 47.184,
                 "_metrics": {"ImageNet-1K": {"acc@1": 82.008, "acc@5": 96.054}}}}),
    ("EfficientNet_B4_Weights", "IMAGENET1K_V1"): ("efficientnet_b4_rwightman-23ab8bcd.pth", 384, {
        "crop_size": 380, "interpolation": "bicubic",
        "meta": {"min_size": (1, 1), "num_params": 19341616, "_ops": 4.394, "_file_size": 74.489,
                 "_metrics": {"ImageNet-1K": {"acc@1": 83.384, "acc@5": 96.594}}}}),
    ("EfficientNet_B5_Weights", "IMAGENET1K_V1"): ("efficientnet_b5_lukemelas-1a07897c.pth", 456, {
        "crop_size": 456, "interpolation": "bicubic",
        "meta": {"min_size": (1, 1), "num_params": 30389784, "_ops": 10.266, "_file_size": 116.864,
                 "_metrics": {"ImageNet-1K": {"acc@1": 83.444, "acc@5": 96.628}}}}),
    ("EfficientNet_B6_Weights", "IMAGENET1K_V1"): ("efficientnet_b6_lukemelas-24a108a5.pth", 528, {
        "crop_size": 528, "interpolation": "bicubic",
        "meta": {"min_size": (1, 1), "num_params": 43040704, "_ops": 19.068, "_file_size": 165.362,
                 "_metrics": {"ImageNet-1K": {"acc@1": 84.008, "acc@5": 96.916}}}}),
    ("EfficientNet_B7_Weights", "IMAGENET1K_V1"): ("efficientnet_b7_lukemelas-c5b4e57e.pth", 600, {
        "crop_size": 600, "interpolation": "bicubic",
        "meta": {"min_size": (1, 1), "num_params": 66347960, "_ops": 37.746, "_file_size": 254.675,
                 "_metrics": {"ImageNet-1K": {"acc@1": 84.122, "acc@5": 96.908}}}}),
    ("ViT_B_16_Weights", "IMAGENET1K_V1"): ("vit_b_16-c867db91.pth", 256, {
        "meta": {"num_params": 86567656, "min_size": (224, 224), "_ops": 17.564, "_file_size": 330.285,
                 "_metrics": {"ImageNet-1K": {"acc@1": 81.072, "acc@5": 95.318}}}}),
    ("ViT_B_16_Weights", "IMAGENET1K_SWAG_E2E_V1"): ("vit_b_16_swag-9ac1b537.pth", 384, {
        "crop_size": 384, "interpolation": "bicubic",
        "meta": {"license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
                 "num_params": 86859496, "min_size": (384, 384), "_ops": 55.484, "_file_size": 331.398,
                 "_metrics": {"ImageNet-1K": {"acc@1": 85.304, "acc@5": 97.65}}}}),
    ("ViT_B_16_Weights", "IMAGENET1K_SWAG_LINEAR_V1"): ("vit_b_16_lc_swag-4e70ced5.pth", 224, {
        "interpolation": "bicubic",
        "meta": {"license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
                 "num_params": 86567656, "min_size": (224, 224), "_ops": 17.564, "_file_size": 330.285,
                 "_metrics": {"ImageNet-1K": {"acc@1": 81.886, "acc@5": 96.18}}}}),
    ("ViT_B_32_Weights", "IMAGENET1K_V1"): ("vit_b_32-d86f8d99.pth", 256, {
        "meta": {"num_params": 88224232, "min_size": (224, 224), "_ops": 4.409, "_file_size": 336.604,
                 "_metrics": {"ImageNet-1K": {"acc@1": 75.912, "acc@5": 92.466}}}}),
    ("ViT_L_16_Weights", "IMAGENET1K_V1"): ("vit_l_16-852ce7e3.pth", 242, {
        "meta": {"num_params": 304326632, "min_size": (224, 224), "_ops": 61.555, "_file_size": 1161.023,
                 "_metrics": {"ImageNet-1K": {"acc@1": 79.662, "acc@5": 94.638}}}}),
    ("ViT_L_16_Weights", "IMAGENET1K_SWAG_E2E_V1"): ("vit_l_16_swag-4f3808c9.pth", 512, {
        "crop_size": 512, "interpolation": "bicubic",
        "meta": {"license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
                 "num_params": 305174504, "min_size": (512, 512), "_ops": 361.986, "_file_size": 1164.258,
                 "_metrics": {"ImageNet-1K": {"acc@1": 88.064, "acc@5": 98.512}}}}),
    ("ViT_L_16_Weights", "IMAGENET1K_SWAG_LINEAR_V1"): ("vit_l_16_lc_swag-4d563306.pth", 224, {
        "interpolation": "bicubic",
        "meta": {"license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
                 "num_params": 304326632, "min_size": (224, 224), "_ops": 61.555, "_file_size": 1161.023,
                 "_metrics": {"ImageNet-1K": {"acc@1": 85.146, "acc@5": 97.422}}}}),
    ("ViT_L_32_Weights", "IMAGENET1K_V1"): ("vit_l_32-c7638314.pth", 256, {
        "meta": {"num_params": 306535400, "min_size": (224, 224), "_ops": 15.378, "_file_size": 1169.449,
                 "_metrics": {"ImageNet-1K": {"acc@1": 76.972, "acc@5": 93.07}}}}),
    ("ViT_H_14_Weights", "IMAGENET1K_SWAG_E2E_V1"): ("vit_h_14_swag-80465313.pth", 518, {
        "crop_size": 518, "interpolation": "bicubic",
        "meta": {"license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
                 "num_params": 633470440, "min_size": (518, 518), "_ops": 1016.717, "_file_size": 2416.643,
                 "_metrics": {"ImageNet-1K": {"acc@1": 88.552, "acc@5": 98.694}}}}),
    ("ViT_H_14_Weights", "IMAGENET1K_SWAG_LINEAR_V1"): ("vit_h_14_lc_swag-c1eb923e.pth", 224, {
        "interpolation": "bicubic",
        "meta": {"license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
                 "num_params": 632045800, "min_size": (224, 224), "_ops": 167.295, "_file_size": 2411.209,
                 "_metrics": {"ImageNet-1K": {"acc@1": 85.708, "acc@5": 97.73}}}}),
}
