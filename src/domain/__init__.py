"""Neptun imports: the pure domain (models, rules, the create-import use case, the storage port).

Nothing here imports Powertools, boto3 or knows about HTTP; it is tested without AWS.
"""
